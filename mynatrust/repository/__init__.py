"""The public repository (リポジトリ, §2.5): versioned documents (terms of use, operating rules),
notices (告知情報) and the service's identity, published around the clock at /repository/.

Other apps use only these functions (see mynatrust/repository/terms.py)::

    from mynatrust.repository.terms import current_terms_version, has_accepted_current_terms
    from mynatrust.repository.services import accept_current_terms
"""
