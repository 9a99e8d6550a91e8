package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A promotion of the heavy sample's shop domain. */
@Entity
public class Promotion extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Store store;

	public Store getStore() {
		return this.store;
	}

	public void setStore(Store store) {
		this.store = store;
	}

}
