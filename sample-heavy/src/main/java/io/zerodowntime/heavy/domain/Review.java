package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A review of the heavy sample's shop domain. */
@Entity
public class Review extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Carrier carrier;

	public Carrier getCarrier() {
		return this.carrier;
	}

	public void setCarrier(Carrier carrier) {
		this.carrier = carrier;
	}

}
