package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Category}; Spring Data parses each one at startup. */
public interface CategoryRepository extends JpaRepository<Category, Long> {

	Optional<Category> findFirstByName(String name);

	List<Category> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Category> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Category> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Category e where e.active = true")
	BigDecimal totalActiveAmount();

}
