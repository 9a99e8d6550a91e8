package io.zerodowntime.heavy.domain;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Queries on {@link Coupon}; Spring Data parses each one at startup. */
public interface CouponRepository extends JpaRepository<Coupon, Long> {

	Optional<Coupon> findFirstByName(String name);

	List<Coupon> findTop10ByNameContainingIgnoreCaseOrderByCreatedAtDesc(String part);

	Page<Coupon> findByActiveTrue(Pageable pageable);

	long countByCreatedAtAfter(Instant since);

	List<Coupon> findByAmountBetweenOrderByAmountDesc(BigDecimal low, BigDecimal high);

	@Query("select coalesce(sum(e.amount), 0) from Coupon e where e.active = true")
	BigDecimal totalActiveAmount();

}
