package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A warehouse of the heavy sample's shop domain. */
@Entity
public class Warehouse extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Product product;

	public Product getProduct() {
		return this.product;
	}

	public void setProduct(Product product) {
		this.product = product;
	}

}
