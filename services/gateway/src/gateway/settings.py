"""Gateway settings: environment variables prefixed ``GATEWAY_``."""

from pydantic_settings import SettingsConfigDict

from clashtor_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
