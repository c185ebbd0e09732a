"""Cloud collectors. The only package that imports cloud SDKs (boto3, azure, google)."""
