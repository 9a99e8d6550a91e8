package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A stock of the heavy sample's shop domain. */
@Entity
public class Stock extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Warehouse warehouse;

	public Warehouse getWarehouse() {
		return this.warehouse;
	}

	public void setWarehouse(Warehouse warehouse) {
		this.warehouse = warehouse;
	}

}
