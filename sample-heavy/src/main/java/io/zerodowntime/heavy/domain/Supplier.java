package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A supplier of the heavy sample's shop domain. */
@Entity
public class Supplier extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Address address;

	public Address getAddress() {
		return this.address;
	}

	public void setAddress(Address address) {
		this.address = address;
	}

}
