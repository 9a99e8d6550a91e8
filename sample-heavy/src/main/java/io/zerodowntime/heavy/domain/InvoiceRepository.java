package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Invoice}; Spring Data parses each one at startup. */
public interface InvoiceRepository extends JpaRepository<Invoice, Long> {

	Optional<Invoice> findFirstByName(String name);

	List<Invoice> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Invoice> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Invoice> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Invoice e where e.active = true")
	BigDecimal totalActiveAmount();

}
