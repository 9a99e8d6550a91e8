package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link OrderLine}; Spring Data parses each one at startup. */
public interface OrderLineRepository extends JpaRepository<OrderLine, Long> {

	Optional<OrderLine> findFirstByName(String name);

	List<OrderLine> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<OrderLine> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<OrderLine> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from OrderLine e where e.active = true")
	BigDecimal totalActiveAmount();

}
