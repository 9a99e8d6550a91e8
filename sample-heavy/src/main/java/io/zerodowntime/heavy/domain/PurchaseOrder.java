package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A purchaseOrder of the heavy sample's shop domain. */
@Entity
public class PurchaseOrder extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Stock stock;

	public Stock getStock() {
		return this.stock;
	}

	public void setStock(Stock stock) {
		this.stock = stock;
	}

}
