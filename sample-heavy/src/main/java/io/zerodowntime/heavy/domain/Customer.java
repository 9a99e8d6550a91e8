package io.zerodowntime.heavy.domain;

import jakarta.persistence.Entity;

/** A customer of the heavy sample's shop domain. */
@Entity
public class Customer extends ShopEntity {

}
