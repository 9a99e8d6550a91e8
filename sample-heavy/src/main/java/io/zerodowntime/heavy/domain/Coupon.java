package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A coupon of the heavy sample's shop domain. */
@Entity
public class Coupon extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Review review;

	public Review getReview() {
		return this.review;
	}

	public void setReview(Review review) {
		this.review = review;
	}

}
