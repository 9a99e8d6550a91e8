package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Stock}; Spring Data parses each one at startup. */
public interface StockRepository extends JpaRepository<Stock, Long> {

	Optional<Stock> findFirstByName(String name);

	List<Stock> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Stock> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Stock> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Stock e where e.active = true")
	BigDecimal totalActiveAmount();

}
