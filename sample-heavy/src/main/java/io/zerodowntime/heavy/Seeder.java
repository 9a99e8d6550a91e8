package io.zerodowntime.heavy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import jakarta.persistence.EntityManager;
import jakarta.persistence.metamodel.Attribute;
import jakarta.persistence.metamodel.EntityType;

import org.springframework.beans.BeanWrapperImpl;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Fills every table at startup, the way a real application loads reference data and warms
 * its caches before it serves: {@code heavy.seed-rows} rows per entity, each linked to a
 * row of the entity before it.
 */
@Component
class Seeder implements ApplicationRunner {

	private final EntityManager entityManager;

	private final TransactionTemplate transactions;

	private final CatalogService catalog;

	private final int rows;

	Seeder(EntityManager entityManager, TransactionTemplate transactions, CatalogService catalog,
			@Value("${heavy.seed-rows:300}") int rows) {
		this.entityManager = entityManager;
		this.transactions = transactions;
		this.catalog = catalog;
		this.rows = rows;
	}

	@Override
	public void run(ApplicationArguments args) {
		List<EntityType<?>> types = new ArrayList<>(this.entityManager.getMetamodel().getEntities());
		types.sort((a, b) -> a.getName().compareTo(b.getName()));
		for (EntityType<?> type : types) {
			this.transactions.executeWithoutResult((status) -> seed(type));
		}
		for (int page = 0; page < 5; page++) {
			this.catalog.page(page);
		}
	}

	private void seed(EntityType<?> type) {
		List<Object> parents = new ArrayList<>();
		for (Attribute<?, ?> attribute : type.getAttributes()) {
			if (attribute.getPersistentAttributeType() == Attribute.PersistentAttributeType.MANY_TO_ONE) {
				parents = new ArrayList<>(this.entityManager
					.createQuery("select e from " + attribute.getJavaType().getSimpleName() + " e", Object.class)
					.setMaxResults(50)
					.getResultList());
				parents.add(0, attribute.getName());
			}
		}
		for (int i = 0; i < this.rows; i++) {
			BeanWrapperImpl row = new BeanWrapperImpl(type.getJavaType());
			row.setPropertyValue("name", type.getName() + " " + i);
			row.setPropertyValue("description", "Seeded " + type.getName().toLowerCase() + " number " + i);
			row.setPropertyValue("amount", BigDecimal.valueOf(i * 7L % 1000, 2));
			if (parents.size() > 1) {
				row.setPropertyValue((String) parents.get(0), parents.get(1 + i % (parents.size() - 1)));
			}
			this.entityManager.persist(row.getWrappedInstance());
		}
	}

}
