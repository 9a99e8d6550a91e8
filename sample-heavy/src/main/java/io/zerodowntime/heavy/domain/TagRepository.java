package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Tag}; Spring Data parses each one at startup. */
public interface TagRepository extends JpaRepository<Tag, Long> {

	Optional<Tag> findFirstByName(String name);

	List<Tag> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Tag> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Tag> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Tag e where e.active = true")
	BigDecimal totalActiveAmount();

}
