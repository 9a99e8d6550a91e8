package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A category of the heavy sample's shop domain. */
@Entity
public class Category extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Supplier supplier;

	public Supplier getSupplier() {
		return this.supplier;
	}

	public void setSupplier(Supplier supplier) {
		this.supplier = supplier;
	}

}
