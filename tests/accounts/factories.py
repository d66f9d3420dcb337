import factory
from django.conf import settings

from zairyu.accounts.models import Category, User
from zairyu.core import clock

PASSWORD = "Zairyu#2026pw"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}x")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    category = Category.RESIDENT
    # The language the test runs pages in (settings.LANGUAGE_CODE, "ja" unless a test sets it).
    language = factory.LazyFunction(lambda: settings.LANGUAGE_CODE)
    password_changed_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()
