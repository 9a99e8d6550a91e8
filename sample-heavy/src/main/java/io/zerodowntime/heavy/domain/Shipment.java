package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A shipment of the heavy sample's shop domain. */
@Entity
public class Shipment extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Payment payment;

	public Payment getPayment() {
		return this.payment;
	}

	public void setPayment(Payment payment) {
		this.payment = payment;
	}

}
