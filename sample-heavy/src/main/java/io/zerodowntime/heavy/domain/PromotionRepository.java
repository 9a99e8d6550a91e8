package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Promotion}; Spring Data parses each one at startup. */
public interface PromotionRepository extends JpaRepository<Promotion, Long> {

	Optional<Promotion> findFirstByName(String name);

	List<Promotion> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Promotion> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Promotion> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Promotion e where e.active = true")
	BigDecimal totalActiveAmount();

}
