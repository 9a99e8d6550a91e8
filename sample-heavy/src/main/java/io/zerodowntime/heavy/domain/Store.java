package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.ManyToOne;

/** A store of the heavy sample's shop domain. */
@Entity
public class Store extends ShopEntity {

	@ManyToOne(fetch = FetchType.LAZY)
	private Department department;

	public Department getDepartment() {
		return this.department;
	}

	public void setDepartment(Department department) {
		this.department = department;
	}

}
