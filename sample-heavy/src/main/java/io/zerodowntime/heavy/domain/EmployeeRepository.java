package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Employee}; Spring Data parses each one at startup. */
public interface EmployeeRepository extends JpaRepository<Employee, Long> {

	Optional<Employee> findFirstByName(String name);

	List<Employee> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Employee> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Employee> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Employee e where e.active = true")
	BigDecimal totalActiveAmount();

}
