"""The module Dramatiq workers load: ``dramatiq app.worker --queues ...``."""

from app import runtime

broker = runtime.current().broker
