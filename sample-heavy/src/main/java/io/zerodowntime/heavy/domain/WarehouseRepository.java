package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Warehouse}; Spring Data parses each one at startup. */
public interface WarehouseRepository extends JpaRepository<Warehouse, Long> {

	Optional<Warehouse> findFirstByName(String name);

	List<Warehouse> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Warehouse> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Warehouse> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Warehouse e where e.active = true")
	BigDecimal totalActiveAmount();

}
