package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Review}; Spring Data parses each one at startup. */
public interface ReviewRepository extends JpaRepository<Review, Long> {

	Optional<Review> findFirstByName(String name);

	List<Review> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Review> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Review> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Review e where e.active = true")
	BigDecimal totalActiveAmount();

}
