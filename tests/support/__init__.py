"""Helpers the tests share: fakes and builders. Tests import helpers only from here."""
