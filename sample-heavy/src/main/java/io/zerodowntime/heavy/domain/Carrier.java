package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A carrier of the heavy sample's shop domain. */
@Entity
public class Carrier extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Shipment shipment;

	public Shipment getShipment() {
		return this.shipment;
	}

	public void setShipment(Shipment shipment) {
		this.shipment = shipment;
	}

}
