/* Every CAF 0.17.6 symbol actorscope interposes, as X(mangled name, what it is). The hooks
 * define these names; tests/unit/test_caf_symbols.c checks each against the installed
 * libcaf_core/libcaf_io and against what libactorscope.so exports, so a typo cannot pass. */
#define CAF_CORE_HOOKS(X)                                                                                                                                                                \
  X(_ZN3caf14abstract_actorC1ERNS_12actor_configE,                                                                                                                                       \
    "abstract_actor::abstract_actor(actor_config&)")                                                                                                                                     \
  X(_ZN3caf14abstract_actorC2ERNS_12actor_configE,                                                                                                                                       \
    "abstract_actor::abstract_actor(actor_config&)")                                                                                                                                     \
  X(_ZN3caf14abstract_actorD1Ev, "abstract_actor::~abstract_actor()")                                                                                                                    \
  X(_ZN3caf22forwarding_actor_proxyC1ERNS_12actor_configENS_5actorE,                                                                                                                     \
    "forwarding_actor_proxy::forwarding_actor_proxy(actor_config&, actor)")                                                                                                              \
  X(_ZN3caf12scoped_actorC1ERNS_12actor_systemEb,                                                                                                                                        \
    "scoped_actor::scoped_actor(actor_system&, bool)")                                                                                                                                   \
  X(_ZN3caf17event_based_actorC1ERNS_12actor_configE,                                                                                                                                    \
    "event_based_actor::event_based_actor(actor_config&)")                                                                                                                               \
  X(_ZN3caf17event_based_actorC2ERNS_12actor_configE,                                                                                                                                    \
    "event_based_actor::event_based_actor(actor_config&)")                                                                                                                               \
  X(_ZN3caf14abstract_actorD2Ev, "abstract_actor::~abstract_actor()")                                                                                                                    \
  X(_ZN3caf12actor_systemD1Ev, "actor_system::~actor_system()")                                                                                                                          \
  X(_ZN3caf12actor_systemD2Ev, "actor_system::~actor_system()")                                                                                                                          \
  X(_ZN3caf15scheduled_actor6launchEPNS_14execution_unitEbb, "scheduled_actor::launch")                                                                                                  \
  X(_ZN3caf14blocking_actor6launchEPNS_14execution_unitEbb, "blocking_actor::launch")                                                                                                    \
  X(_ZN3caf15actor_companion6launchEPNS_14execution_unitEbb, "actor_companion::launch")                                                                                                  \
  X(_ZN3caf15scheduled_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                     \
    "scheduled_actor::enqueue")                                                                                                                                                          \
  X(_ZN3caf14blocking_actor7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                      \
    "blocking_actor::enqueue")                                                                                                                                                           \
  X(_ZN3caf15actor_companion7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                     \
    "actor_companion::enqueue")                                                                                                                                                          \
  X(_ZN3caf10actor_pool7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                          \
    "actor_pool::enqueue")                                                                                                                                                               \
  X(_ZN3caf22forwarding_actor_proxy7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                              \
    "forwarding_actor_proxy::enqueue")                                                                                                                                                   \
  X(_ZN3caf9decorator8splitter7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                   \
    "decorator::splitter::enqueue")                                                                                                                                                      \
  X(_ZN3caf9decorator9sequencer7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE,                                                                  \
    "decorator::sequencer::enqueue")                                                                                                                                                     \
  X(_ZN3caf15scheduled_actor8activateEPNS_14execution_unitERNS_15mailbox_elementE,                                                                                                       \
    "scheduled_actor::activate")                                                                                                                                                         \
  X(_ZN3caf15scheduled_actor7consumeERNS_15mailbox_elementE, "scheduled_actor::consume")                                                                                                 \
  X(_ZN3caf21raw_event_based_actor7consumeERNS_15mailbox_elementE,                                                                                                                       \
    "raw_event_based_actor::consume")                                                                                                                                                    \
  X(_ZN3caf14blocking_actor15mailbox_visitorclERNS_15mailbox_elementE,                                                                                                                   \
    "blocking_actor::mailbox_visitor::operator()")                                                                                                                                       \
  X(_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive9drr_queueINS_6policy17upstream_messagesEEERNS_15mailbox_elementE,                                                        \
    "scheduled_actor::mailbox_visitor::operator()(upstream)")                                                                                                                            \
  X(_ZN3caf15scheduled_actor15mailbox_visitorclEmRNS_9intrusive30wdrr_dynamic_multiplexed_queueINS_6policy19downstream_messagesEEEtRNS2_9drr_queueINS5_6nestedEEERNS_15mailbox_elementE, \
    "scheduled_actor::mailbox_visitor::operator()(downstream)")                                                                                                                          \
  X(_ZN3caf17monitorable_actor7cleanupEONS_5errorEPNS_14execution_unitE,                                                                                                                 \
    "monitorable_actor::cleanup")                                                                                                                                                        \
  X(_ZN3caf15scheduled_actor25default_exception_handlerEPS0_RNSt15__exception_ptr13exception_ptrE,                                                                                       \
    "scheduled_actor::default_exception_handler")                                                                                                                                        \
  X(_ZN3caf17event_based_actor10initializeEv, "event_based_actor::initialize")                                                                                                           \
  X(_ZN3caf17monitorable_actor8add_linkEPNS_14abstract_actorE, "monitorable_actor::add_link")                                                                                            \
  X(_ZN3caf17monitorable_actor11remove_linkEPNS_14abstract_actorE,                                                                                                                       \
    "monitorable_actor::remove_link")                                                                                                                                                    \
  X(_ZN3caf11local_actor7monitorEPNS_14abstract_actorENS_16message_priorityE,                                                                                                            \
    "local_actor::monitor")                                                                                                                                                              \
  X(_ZN3caf14blocking_actor12receive_implERNS0_12receive_condENS_10message_idERNS_6detail17blocking_behaviorE,                                                                           \
    "blocking_actor::receive_impl")                                                                                                                                                      \
  X(_ZN3caf15scheduled_actor28add_awaited_response_handlerENS_10message_idENS_8behaviorE,                                                                                                \
    "scheduled_actor::add_awaited_response_handler")

#define CAF_IO_HOOKS(X)                                                                                                 \
  X(_ZN3caf2io15abstract_broker6launchEPNS_14execution_unitEbb, "io::abstract_broker::launch")                          \
  X(_ZN3caf2io15abstract_broker7enqueueESt10unique_ptrINS_15mailbox_elementENS_6detail8disposerEEPNS_14execution_unitE, \
    "io::abstract_broker::enqueue")                                                                                     \
  X(_ZN3caf2io7network7manager6detachEPNS_14execution_unitEb, "io::network::manager::detach")

/* Symbols the layout probe reads (not interposed), in the order caf_layout_verify uses them. */
#define CAF_PROBED_SYMBOLS(X)                                                                      \
  X(_ZTVN3caf17type_erased_tupleE, "vtable for type_erased_tuple")                                 \
  X(_ZTVN3caf12message_viewE, "vtable for message_view")                                           \
  X(_ZN3caf19numbered_type_namesE, "numbered_type_names")                                          \
  X(_ZN3caf17type_erased_tuple4loadERNS_12deserializerE, "type_erased_tuple::load(deserializer&)") \
  X(_ZNK3caf17type_erased_tuple6sharedEv, "type_erased_tuple::shared()")                           \
  X(_ZNK3caf17type_erased_tuple4saveERNS_10serializerE, "type_erased_tuple::save(serializer&)")
