package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Address}; Spring Data parses each one at startup. */
public interface AddressRepository extends JpaRepository<Address, Long> {

	Optional<Address> findFirstByName(String name);

	List<Address> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Address> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Address> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Address e where e.active = true")
	BigDecimal totalActiveAmount();

}
