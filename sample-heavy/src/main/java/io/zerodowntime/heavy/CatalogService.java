package io.zerodowntime.heavy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

import io.zerodowntime.heavy.domain.Product;
import io.zerodowntime.heavy.domain.ProductRepository;
import io.zerodowntime.heavy.domain.PurchaseOrderRepository;

import org.springframework.cache.annotation.Cacheable;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Reads the catalog, through a cache. */
@Service
class CatalogService {

	private final ProductRepository products;

	private final PurchaseOrderRepository orders;

	CatalogService(ProductRepository products, PurchaseOrderRepository orders) {
		this.products = products;
		this.orders = orders;
	}

	@Cacheable("catalog")
	@Transactional(readOnly = true)
	public Catalog page(int page) {
		List<Product> content = this.products.findByActiveTrue(PageRequest.of(page, 20)).getContent();
		List<String> names = content.stream().map(Product::getName).toList();
		BigDecimal total = this.products.totalActiveAmount();
		long recentOrders = this.orders.countByCreatedAtAfter(Instant.now().minusSeconds(3600));
		return new Catalog(page, names, total, recentOrders);
	}

	/** One page of the catalog. */
	record Catalog(int page, List<String> names, BigDecimal total, long recentOrders) {
	}

}
