package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A invoice of the heavy sample's shop domain. */
@Entity
public class Invoice extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private OrderLine orderLine;

	public OrderLine getOrderLine() {
		return this.orderLine;
	}

	public void setOrderLine(OrderLine orderLine) {
		this.orderLine = orderLine;
	}

}
