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
