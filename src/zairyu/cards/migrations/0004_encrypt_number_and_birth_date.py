"""SEC-3: residence card numbers and birth dates encrypted at rest, found by blind indexes."""

from django.db import migrations, models

import zairyu.core.encrypted
from zairyu.core.encrypted import column, encrypt_existing_rows


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0003_reference_keys_without_index"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="residencecard", name="cards_card_number_unique"),
        migrations.AddField(
            model_name="residencecard",
            name="number_index",
            field=zairyu.core.encrypted.BlindIndexField(
                null=True, purpose="card-number", source="number"
            ),
        ),
        migrations.AddField(
            model_name="residencecard",
            name="birth_date_index",
            field=zairyu.core.encrypted.BlindIndexField(
                null=True, purpose="birth-date", source="birth_date"
            ),
        ),
        migrations.AlterField(
            model_name="residencecard",
            name="number",
            field=zairyu.core.encrypted.EncryptedCharField(
                blind_index="number_index",
                help_text="2 letters, 8 digits, 2 letters, e.g. AB12345678CD.",
                max_length=12,
                verbose_name="residence card number",
            ),
        ),
        migrations.AlterField(
            model_name="residencecard",
            name="birth_date",
            field=zairyu.core.encrypted.EncryptedDateField(verbose_name="date of birth"),
        ),
        migrations.RunPython(
            encrypt_existing_rows(
                "cards",
                "ResidenceCard",
                ("number", "birth_date"),
                indexes={
                    "number_index": ("card-number", column("number")),
                    "birth_date_index": ("birth-date", column("birth_date")),
                },
            ),
            migrations.RunPython.noop,
        ),
        migrations.AlterField(
            model_name="residencecard",
            name="number_index",
            field=zairyu.core.encrypted.BlindIndexField(purpose="card-number", source="number"),
        ),
        migrations.AlterField(
            model_name="residencecard",
            name="birth_date_index",
            field=zairyu.core.encrypted.BlindIndexField(
                db_index=True, purpose="birth-date", source="birth_date"
            ),
        ),
        migrations.AddConstraint(
            model_name="residencecard",
            constraint=models.UniqueConstraint(
                fields=("number_index",), name="cards_card_number_unique"
            ),
        ),
    ]
