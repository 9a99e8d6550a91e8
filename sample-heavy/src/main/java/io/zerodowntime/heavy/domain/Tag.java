package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A tag of the heavy sample's shop domain. */
@Entity
public class Tag extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Coupon coupon;

	public Coupon getCoupon() {
		return this.coupon;
	}

	public void setCoupon(Coupon coupon) {
		this.coupon = coupon;
	}

}
