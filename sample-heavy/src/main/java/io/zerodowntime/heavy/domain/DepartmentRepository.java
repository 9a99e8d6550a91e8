package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Department}; Spring Data parses each one at startup. */
public interface DepartmentRepository extends JpaRepository<Department, Long> {

	Optional<Department> findFirstByName(String name);

	List<Department> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Department> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Department> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Department e where e.active = true")
	BigDecimal totalActiveAmount();

}
