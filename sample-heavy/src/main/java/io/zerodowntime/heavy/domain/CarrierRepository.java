package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Carrier}; Spring Data parses each one at startup. */
public interface CarrierRepository extends JpaRepository<Carrier, Long> {

	Optional<Carrier> findFirstByName(String name);

	List<Carrier> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Carrier> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Carrier> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Carrier e where e.active = true")
	BigDecimal totalActiveAmount();

}
