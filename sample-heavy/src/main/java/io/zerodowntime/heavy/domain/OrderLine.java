package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A orderLine of the heavy sample's shop domain. */
@Entity
public class OrderLine extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private PurchaseOrder purchaseOrder;

	public PurchaseOrder getPurchaseOrder() {
		return this.purchaseOrder;
	}

	public void setPurchaseOrder(PurchaseOrder purchaseOrder) {
		this.purchaseOrder = purchaseOrder;
	}

}
