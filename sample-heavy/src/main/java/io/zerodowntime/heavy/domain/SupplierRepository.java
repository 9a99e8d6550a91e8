package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Supplier}; Spring Data parses each one at startup. */
public interface SupplierRepository extends JpaRepository<Supplier, Long> {

	Optional<Supplier> findFirstByName(String name);

	List<Supplier> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Supplier> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Supplier> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Supplier e where e.active = true")
	BigDecimal totalActiveAmount();

}
