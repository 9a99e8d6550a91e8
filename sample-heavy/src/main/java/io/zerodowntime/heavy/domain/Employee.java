package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A employee of the heavy sample's shop domain. */
@Entity
public class Employee extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Tag tag;

	public Tag getTag() {
		return this.tag;
	}

	public void setTag(Tag tag) {
		this.tag = tag;
	}

}
