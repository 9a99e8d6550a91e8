package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Store}; Spring Data parses each one at startup. */
public interface StoreRepository extends JpaRepository<Store, Long> {

	Optional<Store> findFirstByName(String name);

	List<Store> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Store> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Store> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Store e where e.active = true")
	BigDecimal totalActiveAmount();

}
