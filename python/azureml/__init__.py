"""Azure ML v1's azureml namespace over this product's runctx client."""
