package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Product}; Spring Data parses each one at startup. */
public interface ProductRepository extends JpaRepository<Product, Long> {

	Optional<Product> findFirstByName(String name);

	List<Product> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Product> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Product> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Product e where e.active = true")
	BigDecimal totalActiveAmount();

}
