package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A product of the heavy sample's shop domain. */
@Entity
public class Product extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Category category;

	public Category getCategory() {
		return this.category;
	}

	public void setCategory(Category category) {
		this.category = category;
	}

}
