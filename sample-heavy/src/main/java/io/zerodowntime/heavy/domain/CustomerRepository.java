package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Customer}; Spring Data parses each one at startup. */
public interface CustomerRepository extends JpaRepository<Customer, Long> {

	Optional<Customer> findFirstByName(String name);

	List<Customer> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Customer> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Customer> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Customer e where e.active = true")
	BigDecimal totalActiveAmount();

}
