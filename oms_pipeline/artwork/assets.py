"""Assets of the artwork stage: print files for custom lines, then travelers."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from oms_pipeline.artwork.production import make_pending_artwork, make_pending_travelers
from oms_pipeline.resources import OrderStoreResource


@asset(
    deps=["orders"],
    group_name="artwork",
    kinds={"pdf", "png"},
)
def artwork_files(context: AssetExecutionContext, oms: OrderStoreResource) -> MaterializeResult:
    """Artwork for every custom line, made only after its order is imported: the recipe's
    personalization drawn into a print PDF and a PNG proof."""
    summary = make_pending_artwork(oms.get_store(), oms.settings())
    context.log.info("artwork rendered for %d lines", summary.rendered)
    if summary.waiting:
        context.log.warning("%d lines wait for their recipe", len(summary.waiting))
    return MaterializeResult(
        metadata={
            "lines_rendered": summary.rendered,
            "lines_waiting_for_recipe": len(summary.waiting),
        }
    )


@asset(
    deps=["line_routes", "artwork_files"],
    group_name="artwork",
    kinds={"pdf"},
)
def travelers(context: AssetExecutionContext, oms: OrderStoreResource) -> MaterializeResult:
    """The production document for each order and partner: order number, and each line's SKU,
    quantity, RecipeID and personalization. Made once all its custom lines have artwork."""
    summary = make_pending_travelers(oms.get_store(), oms.settings())
    made = dict(summary.made)
    context.log.info("travelers made: %s", made or "none")
    table = "| partner | travelers |\n|---|---|\n" + "\n".join(
        f"| {code} | {count} |" for code, count in sorted(made.items())
    )
    return MaterializeResult(
        metadata={
            "travelers_made": sum(made.values()),
            "orders_waiting_for_artwork": summary.waiting_for_artwork,
            "per_partner": MetadataValue.md(table),
        }
    )
