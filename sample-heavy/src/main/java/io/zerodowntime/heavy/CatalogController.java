package io.zerodowntime.heavy;

import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import io.zerodowntime.heavy.domain.Product;
import io.zerodowntime.heavy.domain.ProductRepository;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.validation.BindingResult;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** Server-side pages: the catalog (Thymeleaf, cached) and a validated form. */
@Controller
class CatalogController {

	private final GenerationInfo generation;

	private final CatalogService catalog;

	private final ProductRepository products;

	CatalogController(GenerationInfo generation, CatalogService catalog, ProductRepository products) {
		this.generation = generation;
		this.catalog = catalog;
		this.products = products;
	}

	@ModelAttribute
	void identify(HttpServletResponse response, Model model) {
		response.setHeader("X-Generation", Integer.toString(this.generation.generation()));
		response.setHeader("X-Pid", Long.toString(this.generation.pid()));
		model.addAttribute("generation", this.generation.generation());
		model.addAttribute("pid", this.generation.pid());
	}

	@GetMapping("/catalog")
	String catalog(@RequestParam(defaultValue = "0") int page, Model model) {
		model.addAttribute("catalog", this.catalog.page(Math.max(0, Math.min(page, 100))));
		model.addAttribute("form", new ProductForm());
		return "catalog";
	}

	@PostMapping("/catalog")
	String add(@Valid @ModelAttribute("form") ProductForm form, BindingResult result, Model model) {
		if (!result.hasErrors()) {
			Product product = new Product();
			product.setName(form.getName());
			this.products.save(product);
		}
		model.addAttribute("catalog", this.catalog.page(0));
		return "catalog";
	}

	/** The product form. */
	static class ProductForm {

		@NotBlank
		@Size(max = 80)
		private String name;

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

	}

}
