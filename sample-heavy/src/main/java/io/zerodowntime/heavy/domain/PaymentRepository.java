package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Payment}; Spring Data parses each one at startup. */
public interface PaymentRepository extends JpaRepository<Payment, Long> {

	Optional<Payment> findFirstByName(String name);

	List<Payment> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Payment> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Payment> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Payment e where e.active = true")
	BigDecimal totalActiveAmount();

}
