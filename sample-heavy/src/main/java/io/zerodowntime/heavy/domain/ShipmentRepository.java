package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Shipment}; Spring Data parses each one at startup. */
public interface ShipmentRepository extends JpaRepository<Shipment, Long> {

	Optional<Shipment> findFirstByName(String name);

	List<Shipment> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Shipment> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Shipment> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Shipment e where e.active = true")
	BigDecimal totalActiveAmount();

}
