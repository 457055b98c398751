"""Partners as dynamic partitions: adding a partner is configuration, not a release."""

from dagster import DynamicPartitionsDefinition

partner_partitions = DynamicPartitionsDefinition(name="partners")
