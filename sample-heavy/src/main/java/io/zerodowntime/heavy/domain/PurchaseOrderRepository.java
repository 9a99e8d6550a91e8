package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link PurchaseOrder}; Spring Data parses each one at startup. */
public interface PurchaseOrderRepository extends JpaRepository<PurchaseOrder, Long> {

	Optional<PurchaseOrder> findFirstByName(String name);

	List<PurchaseOrder> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<PurchaseOrder> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<PurchaseOrder> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from PurchaseOrder e where e.active = true")
	BigDecimal totalActiveAmount();

}
