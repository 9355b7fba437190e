"""Domain events, so features react to each other without importing each other.

Senders pass keyword arguments only: `city_id` and `category_id` (catalog category id);
`category_data_changed` may also carry `complete` (False when the sender knows the category
is still open for editing, None or absent when it does not know).
"""

from blinker import Namespace

_signals = Namespace()

# A category's data was marked complete by the city ("Mark category complete").
category_completed = _signals.signal("category-completed")
# Values of a category changed (any save, import or verification edit).
category_data_changed = _signals.signal("category-data-changed")
# A category was reopened for editing after being complete.
category_reopened = _signals.signal("category-reopened")

# Several categories' values changed in one save (a shared figure such as the population):
# `city_id`, `category_ids` (list) and `open_category` (the category being edited, known to
# be open, or None). Scoring reacts with one job for the city instead of one per category.
categories_data_changed = _signals.signal("categories-data-changed")


def data_changed_in(city_id: int, category_ids, open_category: str | None = None) -> None:
    """Announce a save: per category (`batched=True`, so receivers that handle the whole
    save at once can skip these), then once for the whole save."""
    category_ids = list(category_ids)
    for category_id in category_ids:
        category_data_changed.send(
            None, city_id=city_id, category_id=category_id, batched=True,
            complete=False if category_id == open_category else None)
    categories_data_changed.send(None, city_id=city_id, category_ids=category_ids,
                                 open_category=open_category)
