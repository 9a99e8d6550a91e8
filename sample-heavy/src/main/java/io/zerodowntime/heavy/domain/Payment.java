package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A payment of the heavy sample's shop domain. */
@Entity
public class Payment extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Invoice invoice;

	public Invoice getInvoice() {
		return this.invoice;
	}

	public void setInvoice(Invoice invoice) {
		this.invoice = invoice;
	}

}
