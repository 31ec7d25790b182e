//! An order as clients read it (the seed's shape): the domain's [`OrderView`].

pub(crate) use payments_domain::model::order_view::rfc3339;
use payments_domain::Order;
pub(crate) use payments_domain::OrderView;
use serde::Serialize;

/// A list of orders: `{"orders": [...]}`.
#[derive(Debug, Serialize)]
pub(crate) struct OrderList {
    orders: Vec<OrderView>,
}

impl OrderList {
    pub(crate) fn new(orders: &[Order]) -> Self {
        Self { orders: orders.iter().map(OrderView::from).collect() }
    }
}
